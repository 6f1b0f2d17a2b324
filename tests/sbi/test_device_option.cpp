// The methods' `device` option: parsing ("cpu" | "cuda" | "cuda:N"), typed errors for bad text
// and for devices this build or machine cannot use, and the configurations that carry it.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "sbi/device_option.h"
#include "sbi/method.h"
#include "sbi/nle/nle.h"
#include "sbi/npe/npe.h"
#include "sbi/simformer/simformer.h"
#include "sbi/task.h"

namespace amor::sbi {
namespace {

TEST(DeviceOption, ParsesTheThreeForms) {
  EXPECT_EQ(parse_device("cpu"), Device::cpu());
  EXPECT_EQ(parse_device("cuda"), Device::cuda(0));
  EXPECT_EQ(parse_device("cuda:0"), Device::cuda(0));
  EXPECT_EQ(parse_device("cuda:3"), Device::cuda(3));
  EXPECT_EQ(parse_device("cuda:127"), Device::cuda(127));
  EXPECT_EQ(device_string(parse_device("cuda")), "cuda:0");
  EXPECT_EQ(device_string(Device::cpu()), "cpu");
}

TEST(DeviceOption, RejectsAnythingElseWithAValueErrorNamingIt) {
  for (const std::string bad : {"", "CPU", "gpu", "cuda:", "cuda:-1", "cuda:1.5", "cuda:x", "cuda:128",
                                "cuda:0000", "cuda 0", " cpu", "cpu:0", "cuda:1:2", "mps"}) {
    try {
      (void)parse_device(bad);
      ADD_FAILURE() << "'" << bad << "' was accepted";
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find("'" + bad + "' is not a device"), std::string::npos) << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "'" << bad << "': not a ValueError: " << e.what();
    }
  }
}

TEST(DeviceOption, JsonValuesMustBeStrings) {
  EXPECT_EQ(device_from_json("cuda:1", "npe"), Device::cuda(1));
  EXPECT_THROW((void)device_from_json(0, "npe"), ValueError);
  EXPECT_THROW((void)device_from_json(nullptr, "npe"), ValueError);
  try {
    (void)device_from_json("tpu", "simformer");
    ADD_FAILURE() << "accepted";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("simformer: device: 'tpu'"), std::string::npos) << e.what();
  }
}

TEST(DeviceOption, RequireDeviceSaysWhyADeviceCannotBeUsed) {
  EXPECT_NO_THROW(require_device(Device::cpu()));
  // cuda:100 is past the last device of any machine amor runs on.
  try {
    require_device(Device::cuda(100));
    ADD_FAILURE() << "cuda:100 accepted";
  } catch (const DeviceError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("cuda:100"), std::string::npos) << msg;
    const char* why = !cuda_built() ? "built without CUDA" : cuda_devices() == 0 ? "no usable CUDA device" : "this machine has";
    EXPECT_NE(msg.find(why), std::string::npos) << msg;
  }
  if (cuda_devices() == 0) EXPECT_THROW(require_device(Device::cuda(0)), DeviceError);
  else EXPECT_NO_THROW(require_device(Device::cuda(0)));
}

TEST(DeviceOption, MethodConfigurationsCarryIt) {
  const nlohmann::json cuda = {{"device", "cuda:1"}};
  const npe::NpeConfig npe_config = npe::NpeConfig::from_json(cuda);
  EXPECT_EQ(npe_config.device, Device::cuda(1));
  EXPECT_EQ(npe_config.training.device, Device::cuda(1)) << "training follows the top-level device";
  EXPECT_EQ(npe_config.to_json().at("device"), "cuda:1");
  EXPECT_EQ(npe::NpeConfig::from_json(npe_config.to_json()).device, Device::cuda(1));
  EXPECT_EQ(npe::NpeConfig::from_json(nlohmann::json::object()).device, Device::cpu()) << "default";

  const nle::NleConfig nle_config = nle::NleConfig::from_json(cuda);
  EXPECT_EQ(nle_config.device, Device::cuda(1));
  EXPECT_EQ(nle_config.training.device, Device::cuda(1));
  EXPECT_EQ(nle::NleConfig::from_json(nle_config.to_json()).device, Device::cuda(1));

  const simformer::SimformerConfig sf = simformer::SimformerConfig::from_json(cuda);
  EXPECT_EQ(sf.device, Device::cuda(1));
  EXPECT_EQ(simformer::SimformerConfig::from_json(sf.to_json()).device, Device::cuda(1));
  EXPECT_EQ(simformer::SimformerConfig::from_json(nlohmann::json::object()).device, Device::cpu());

  // Parsing a configuration never asks for the device (a checkpoint trained on a GPU loads on a
  // machine without one); bad text is refused by each.
  for (const nlohmann::json& bad : {nlohmann::json{{"device", "gpu"}}, nlohmann::json{{"device", 1}}}) {
    EXPECT_THROW(npe::NpeConfig::from_json(bad), ValueError) << bad.dump();
    EXPECT_THROW(nle::NleConfig::from_json(bad), ValueError) << bad.dump();
    EXPECT_THROW(simformer::SimformerConfig::from_json(bad), ValueError) << bad.dump();
  }
}

TEST(DeviceOption, TrainingRefusesAnUnusableDeviceBeforeAnyWork) {
  const TaskPtr task = make_task("two_moons");
  const Dataset empty;  // never looked at: the device is checked first
  TrainOptions options;
  options.config = {{"device", "cuda:100"}};
  for (const std::string name : {"npe", "nle", "simformer"}) {
    try {
      (void)find_method(name).train(*task, empty, options);
      ADD_FAILURE() << name << " trained on cuda:100";
    } catch (const DeviceError& e) {
      EXPECT_NE(std::string(e.what()).find("cuda:100"), std::string::npos) << name << ": " << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << name << ": not a DeviceError: " << e.what();
    }
  }
}

}  // namespace
}  // namespace amor::sbi
